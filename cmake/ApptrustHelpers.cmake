# Conventions for the project's own targets (never generated or third-party
# code): every build warns; warnings are errors with APPTRUST_WERROR=ON (the
# CI build: scripts/build).
function(apptrust_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(APPTRUST_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# apptrust_library(NAME SOURCES ... [LIBS ...] [PUBLIC_LIBS ...])
function(apptrust_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;PUBLIC_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_LIBS})
  apptrust_warnings(${name})
endfunction()

# apptrust_test(NAME SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT s])
# One CTest test per GoogleTest binary; labels select suites
# (ctest -L unit, ctest -L integration).
function(apptrust_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest GTest::gtest_main)
  apptrust_warnings(${name})
  add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()
