# The ctest layers.enforced (see cmake/TernLayer.cmake), run as
#   cmake -DCXX=compiler -DDATA=layers/check_layers_data.cmake -DWORK=dir -P CheckLayers.cmake
# For every layer L, with exactly the include path and definitions L's code
# is compiled with:
#   - one of L's own headers preprocesses;
#   - for every layer M that L may not use, "#include" of a header of M fails
#     to preprocess because that header is not found.
# Preprocessing only (-E): what is checked is the include path, cheaply.
cmake_minimum_required(VERSION 3.25)
include(${DATA})
file(MAKE_DIRECTORY ${WORK})
set(failures 0)
set(checked 0)

function(preprocess layer header result_var output_var)
  set(flags -std=c++20 -E -o /dev/null)
  foreach(d ${includes_${layer}})
    list(APPEND flags -I${d})
  endforeach()
  foreach(d ${defines_${layer}})
    list(APPEND flags -D${d})
  endforeach()
  string(MAKE_C_IDENTIFIER "${layer}_${header}" stem)
  set(source ${WORK}/${stem}.cpp)
  file(WRITE ${source} "#include \"${header}\"\n")
  execute_process(COMMAND ${CXX} ${flags} ${source}
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${result_var} ${result} PARENT_SCOPE)
  set(${output_var} "${out}${err}" PARENT_SCOPE)
endfunction()

foreach(l ${layers})
  preprocess(${l} ${header_${l}} result out)
  math(EXPR checked "${checked} + 1")
  if(NOT result EQUAL 0)
    message(SEND_ERROR "layer ${l}: its own header ${header_${l}} does not preprocess:\n${out}")
    math(EXPR failures "${failures} + 1")
  endif()
  foreach(m ${layers})
    if(m IN_LIST closure_${l})
      continue()
    endif()
    preprocess(${l} ${header_${m}} result out)
    math(EXPR checked "${checked} + 1")
    string(REPLACE "." "\\." pattern "${header_${m}}")
    if(result EQUAL 0)
      message(SEND_ERROR "layer ${l} may not use layer ${m}, yet \"${header_${m}}\" is on its include path")
      math(EXPR failures "${failures} + 1")
    elseif(NOT out MATCHES "${pattern}'?:? (No such file|file not found)")
      message(SEND_ERROR "layer ${l}: \"${header_${m}}\" failed to preprocess, but not for want of the file:\n${out}")
      math(EXPR failures "${failures} + 1")
    endif()
  endforeach()
endforeach()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} of ${checked} layer checks failed")
endif()
message(STATUS "${checked} layer checks passed")
