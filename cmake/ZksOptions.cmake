# Warnings, sanitizers and the per-module helper shared by every target.

add_library(zks_flags INTERFACE)
target_compile_options(zks_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
if(CMAKE_BUILD_TYPE STREQUAL "Release")
  target_compile_options(zks_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-O3 -march=x86-64-v2>)
endif()

if(ZKS_SANITIZE)
  string(REPLACE "," ";" _zks_san_list "${ZKS_SANITIZE}")
  foreach(_san IN LISTS _zks_san_list)
    if(NOT _san MATCHES "^(address|undefined|thread|leak)$")
      message(FATAL_ERROR "ZKS_SANITIZE: unknown sanitizer '${_san}' (use address, undefined, thread or leak)")
    endif()
  endforeach()
  message(STATUS "zkslice: sanitizers ${ZKS_SANITIZE}")
  target_compile_options(zks_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${ZKS_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all>)
  target_link_options(zks_flags INTERFACE -fsanitize=${ZKS_SANITIZE})
endif()

find_program(ZKS_CCACHE ccache)
if(ZKS_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${ZKS_CCACHE})
endif()

# zks_module(NAME SOURCES... DEPS ...): one module = one folder = one static library.
function(zks_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/common ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC zks_flags ${M_DEPS})
endfunction()
