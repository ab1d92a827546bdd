# tern_layer(NAME DEPS...): a static library from every .cpp under src/NAME
# (sub-folders included), linked to the layers and libraries it may use.
function(tern_layer name)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(tern_${name} STATIC ${sources})
  target_link_libraries(tern_${name} PUBLIC tern_flags ${ARGN})
endfunction()
