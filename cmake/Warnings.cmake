include_guard(GLOBAL)
set(TARS_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wold-style-definition -Wpointer-arith -Wformat=2 -Wvla -Wundef
  -Wimplicit-fallthrough -Werror=implicit-function-declaration -fno-common)
if(TARS_WERROR)
  list(APPEND TARS_WARNINGS -Werror)
endif()

# Apply the project warnings to one of our own targets.
function(tars_warnings target)
  target_compile_options(${target} PRIVATE ${TARS_WARNINGS})
endfunction()
