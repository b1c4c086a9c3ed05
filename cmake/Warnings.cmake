include_guard(GLOBAL)
set(TARS_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wold-style-definition -Wpointer-arith -Wformat=2 -Wvla -Wundef
  -Wimplicit-fallthrough -Werror=implicit-function-declaration -fno-common)
if(TARS_WERROR)
  list(APPEND TARS_WARNINGS -Werror)
endif()

# Apply the project warnings to one of our own targets, and force-include
# include/tars/banned.h (functions we never call fail to compile) unless
# ALLOW_BANNED is given (the unit tests, which build fixtures with them).
function(tars_warnings target)
  cmake_parse_arguments(PARSE_ARGV 1 TW "ALLOW_BANNED" "" "")
  target_compile_options(${target} PRIVATE ${TARS_WARNINGS})
  if(NOT TW_ALLOW_BANNED)
    target_compile_options(${target} PRIVATE
                           "SHELL:-include ${CMAKE_SOURCE_DIR}/include/tars/banned.h")
  endif()
endfunction()
