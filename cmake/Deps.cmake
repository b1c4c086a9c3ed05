# Locate every third-party library in one place. Some Debian packages ship no
# pkg-config file (wslay, http-parser) or an incomplete one (h2o lacks its
# OpenSSL/zlib link flags), so plain find_path/find_library is used for all.
include_guard(GLOBAL)

function(tars_find_lib name header lib)
  find_path(${name}_INCLUDE_DIR ${header})
  find_library(${name}_LIBRARY ${lib})
  if(NOT ${name}_INCLUDE_DIR OR NOT ${name}_LIBRARY)
    message(FATAL_ERROR "${name} not found (header ${header}, library ${lib}); run scripts/deps.sh")
  endif()
  add_library(dep::${name} UNKNOWN IMPORTED)
  set_target_properties(dep::${name} PROPERTIES
    IMPORTED_LOCATION "${${name}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${${name}_INCLUDE_DIR}")
endfunction()

find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)

tars_find_lib(jansson jansson.h jansson)
tars_find_lib(jwt jwt.h jwt)
tars_find_lib(sqlite3 sqlite3.h sqlite3)
tars_find_lib(wslay wslay/wslay.h wslay)
tars_find_lib(h2o h2o.h h2o-evloop)
tars_find_lib(cmocka cmocka.h cmocka)
tars_find_lib(cmark_gfm cmark-gfm.h cmark-gfm)
tars_find_lib(cmark_gfm_extensions cmark-gfm-core-extensions.h cmark-gfm-extensions)

find_package(PostgreSQL REQUIRED)

# h2o needs its own dependencies spelled out.
set_property(TARGET dep::h2o APPEND PROPERTY INTERFACE_LINK_LIBRARIES
  dep::wslay OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB Threads::Threads)
set_property(TARGET dep::h2o APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS H2O_USE_LIBUV=0)
set_property(TARGET dep::cmark_gfm_extensions APPEND PROPERTY INTERFACE_LINK_LIBRARIES dep::cmark_gfm)
set_property(TARGET dep::jwt APPEND PROPERTY INTERFACE_LINK_LIBRARIES OpenSSL::Crypto dep::jansson)
