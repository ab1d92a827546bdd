# Layers that the build enforces (DESIGN.md "Layers").
#
# The rule: code of a layer may include only its own headers and those of the
# layers below it. src/ is on no include path. Each layer is one library whose
# PUBLIC include directory is its own folder in the build tree,
# ${CMAKE_BINARY_DIR}/layers/NAME, holding a symbolic link named like its
# source folder:
#   layers/mime/mime                   -> src/mime
#   layers/smtp_protocol/smtp/protocol -> src/smtp/protocol
#   layers/sasl/auth/sasl.hpp          -> src/auth/sasl.hpp   (a layer made of files)
# Lower layers come in through target_link_libraries (PUBLIC, so
# transitively): a target sees exactly its own headers and its dependencies'.
# Includes stay written from the src/ root ("core/result.hpp",
# "smtp/protocol/reply.hpp"); one that reaches up or sideways is a build error
# ("No such file"). Fix such an include by moving the type down to the lowest
# layer that needs it, never by linking a layer upward.
#
# A layer whose folder holds another layer (smtp holds smtp/protocol, auth
# holds the SASL exchange) lists it under EXCLUDE and must link it: its own
# link exposes that folder's headers too.
#
# Proofs: tern_check_layer_enforcement() at configure time, and the ctest
# layers.enforced (cmake/CheckLayers.cmake) over every pair of layers.

# tern_layer(NAME deps... [FOLDER dir] [FILES file...] [EXCLUDE path...])
#   NAME     the library is tern_NAME
#   deps     the layers and libraries it may use (before the keywords)
#   FOLDER   its folder under src/ (default: NAME)
#   FILES    only these files of FOLDER make the layer (default: every .cpp
#            and .hpp under FOLDER, sub-folders included)
#   EXCLUDE  files or sub-folders of FOLDER that belong to another layer
# A layer without .cpp files is an INTERFACE library.
function(tern_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "FOLDER" "FILES;EXCLUDE")
  set(deps ${arg_UNPARSED_ARGUMENTS})
  set(folder ${name})
  if(arg_FOLDER)
    set(folder ${arg_FOLDER})
  endif()
  set(src ${PROJECT_SOURCE_DIR}/src/${folder})
  set(root ${CMAKE_BINARY_DIR}/layers/${name})

  if(arg_FILES)
    list(TRANSFORM arg_FILES PREPEND ${src}/ OUTPUT_VARIABLE files)
  else()
    file(GLOB_RECURSE files CONFIGURE_DEPENDS ${src}/*.cpp ${src}/*.hpp)
  endif()
  set(sources)
  set(headers)
  foreach(f ${files})
    file(RELATIVE_PATH rel ${src} ${f})
    set(excluded FALSE)
    foreach(x ${arg_EXCLUDE})
      string(FIND "${rel}/" "${x}/" at)
      if(at EQUAL 0)
        set(excluded TRUE)
      endif()
    endforeach()
    if(excluded)
      continue()
    endif()
    if(rel MATCHES "\\.cpp$")
      list(APPEND sources ${f})
    elseif(rel MATCHES "\\.hpp$")
      list(APPEND headers ${folder}/${rel})
    endif()
  endforeach()

  # The include root: one link to the folder, or one per header of a file layer.
  if(arg_FILES)
    foreach(h ${headers})
      get_filename_component(dir ${root}/${h} DIRECTORY)
      file(MAKE_DIRECTORY ${dir})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${h} ${root}/${h} SYMBOLIC)
    endforeach()
  else()
    get_filename_component(dir ${root}/${folder} DIRECTORY)
    file(MAKE_DIRECTORY ${dir})
    file(CREATE_LINK ${src} ${root}/${folder} SYMBOLIC)
  endif()

  if(sources)
    add_library(tern_${name} STATIC ${sources})
    target_include_directories(tern_${name} PUBLIC ${root})
    target_link_libraries(tern_${name} PUBLIC tern_flags ${deps})
  else()
    add_library(tern_${name} INTERFACE)
    target_include_directories(tern_${name} INTERFACE ${root})
    target_link_libraries(tern_${name} INTERFACE tern_flags ${deps})
  endif()

  # What the checks need: the layers it may use (itself included), its
  # include roots, and its own headers.
  set(closure ${name})
  set(roots ${root})
  foreach(d ${deps})
    if(TARGET ${d})
      get_target_property(d_closure ${d} TERN_LAYER_CLOSURE)
      if(d_closure)
        get_target_property(d_roots ${d} TERN_LAYER_ROOTS)
        list(APPEND closure ${d_closure})
        list(APPEND roots ${d_roots})
      endif()
    endif()
  endforeach()
  list(REMOVE_DUPLICATES closure)
  list(REMOVE_DUPLICATES roots)
  list(SORT headers)
  set_target_properties(tern_${name} PROPERTIES
    TERN_LAYER_CLOSURE "${closure}" TERN_LAYER_ROOTS "${roots}" TERN_LAYER_HEADERS "${headers}")
  set_property(GLOBAL APPEND PROPERTY TERN_LAYERS ${name})
endfunction()

# Configure-time proof that the include paths enforce the layers: one source
# that includes "store/types.hpp" must compile with the store layer's include
# roots and must fail with the mime layer's (the layer below). Configuration
# fails otherwise.
function(tern_check_layer_enforcement)
  get_target_property(store_roots tern_store TERN_LAYER_ROOTS)
  get_target_property(mime_roots tern_mime TERN_LAYER_ROOTS)
  set(source "#include \"store/types.hpp\"\nint main() { return sizeof(tern::store::MessageMeta) == 0; }\n")
  try_compile(store_sees_store SOURCE_FROM_CONTENT layer_check.cpp "${source}"
    CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${store_roots}" CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON
    NO_CACHE OUTPUT_VARIABLE out_store)
  if(NOT store_sees_store)
    message(FATAL_ERROR "layer check: a source including \"store/types.hpp\" does not compile "
      "with the store layer's include roots (${store_roots}), so the check below would prove nothing:\n${out_store}")
  endif()
  try_compile(mime_sees_store SOURCE_FROM_CONTENT layer_check.cpp "${source}"
    CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${mime_roots}" CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON
    NO_CACHE OUTPUT_VARIABLE out_mime)
  if(mime_sees_store)
    message(FATAL_ERROR "layer check: a source including \"store/types.hpp\" compiles with only the "
      "mime layer's include roots (${mime_roots}): the build does not enforce the layers "
      "(is src/ on an include path again?). See cmake/TernLayer.cmake.")
  endif()
  message(STATUS "Layer check: store/types.hpp is out of the mime layer's reach")
endfunction()

# The ctest layers.enforced: for every layer, every header of a layer it may
# not use fails to preprocess with its include path, and one of its own does.
function(tern_add_layer_test)
  get_property(layers GLOBAL PROPERTY TERN_LAYERS)
  set(data "set(layers \"${layers}\")\n")
  foreach(l ${layers})
    get_target_property(closure tern_${l} TERN_LAYER_CLOSURE)
    get_target_property(headers tern_${l} TERN_LAYER_HEADERS)
    list(GET headers 0 header)
    string(APPEND data
      "set(closure_${l} \"${closure}\")\n"
      "set(header_${l} \"${header}\")\n"
      "set(includes_${l} \"$<TARGET_PROPERTY:tern_${l},INTERFACE_INCLUDE_DIRECTORIES>\")\n"
      "set(defines_${l} \"$<TARGET_PROPERTY:tern_${l},INTERFACE_COMPILE_DEFINITIONS>\")\n")
  endforeach()
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/layers/check_layers_data.cmake CONTENT "${data}")
  add_test(NAME layers.enforced
    COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} -DDATA=${CMAKE_BINARY_DIR}/layers/check_layers_data.cmake
            -DWORK=${CMAKE_BINARY_DIR}/layers/check -P ${PROJECT_SOURCE_DIR}/cmake/CheckLayers.cmake)
  set_tests_properties(layers.enforced PROPERTIES LABELS unit)
endfunction()
