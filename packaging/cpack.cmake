# Installation of the man page and CPack packaging (included at the end of
# the top-level CMakeLists.txt).
#
#   cmake -S . -B build-musl -DCMAKE_TOOLCHAIN_FILE=packaging/musl-toolchain.cmake -DCINIT_TESTS=OFF
#   cmake --build build-musl
#   cd build-musl && cpack -G DEB && cpack -G TGZ
#
# The packages install to "/": the binary as /sbin/cinit (where images and
# the examples expect it) and the man page as /usr/share/man/man1/cinit.1.gz.
# An ordinary "cmake --install --prefix DIR" keeps the usual layout
# DIR/sbin/cinit and DIR/share/man/man1/cinit.1.gz.

# The man page, compressed as Debian policy wants (-n: no name or time stamp
# in the header, so the result is reproducible).
set(CINIT_MANPAGE_SRC ${CMAKE_SOURCE_DIR}/packaging/cinit.1)
set(CINIT_MANPAGE_GZ ${CMAKE_BINARY_DIR}/cinit.1.gz)
add_custom_command(
  OUTPUT ${CINIT_MANPAGE_GZ}
  COMMAND gzip -9 -n -c ${CINIT_MANPAGE_SRC} > ${CINIT_MANPAGE_GZ}
  DEPENDS ${CINIT_MANPAGE_SRC}
  COMMENT "Compressing the man page")
add_custom_target(cinit-manpage ALL DEPENDS ${CINIT_MANPAGE_GZ})

# Data files go under PREFIX/share, except when PREFIX is "/" (the packages),
# where the file system hierarchy puts them in /usr/share. The choice is made
# at install time, since CPack installs with its own prefix.
install(CODE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
    set(CINIT_SHARE_DIR "usr/share")
  else()
    set(CINIT_SHARE_DIR "share")
  endif()
]])
install(FILES ${CINIT_MANPAGE_GZ} DESTINATION "\${CINIT_SHARE_DIR}/man/man1")
if(EXISTS ${CMAKE_SOURCE_DIR}/LICENSE)
  install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION "\${CINIT_SHARE_DIR}/doc/cinit"
          RENAME copyright)
endif()

# --- CPack ---------------------------------------------------------------------
set(CINIT_PACKAGE_MAINTAINER "cinit developers <cinit@example.org>" CACHE STRING
    "Maintainer field of the packages (Name <address>)")
set(CINIT_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the .deb (empty: none)")

set(CPACK_PACKAGE_NAME cinit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "cinit")
set(CPACK_PACKAGE_CONTACT "${CINIT_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "small static init for containers, with sidecars")
set(CPACK_PACKAGE_DESCRIPTION
"cinit runs as the first process of a container: it starts the main
command, forwards signals to it, reaps zombie processes and exits with the
command's status. It can also run init tasks before the command and
supervise sidecars beside it (restart with back-off, readiness checks,
ordered shutdown), and answers Kubernetes exec probes with
'cinit status --ready' and 'cinit status --live'.

The binary is linked statically, so it can be copied into any image.")

# Everything at "/": /sbin/cinit, /usr/share/man/man1/cinit.1.gz. With
# CPACK_SET_DESTDIR the archive generators use the same layout as the .deb.
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
set(CPACK_INSTALL_PREFIX "/")
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)

# A toolchain file that sets CMAKE_SYSTEM_NAME leaves CMAKE_SYSTEM_PROCESSOR
# empty: the host's is the target's then.
if(CMAKE_SYSTEM_PROCESSOR)
  string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _cinit_arch)
elseif(CMAKE_HOST_SYSTEM_PROCESSOR)
  string(TOLOWER "${CMAKE_HOST_SYSTEM_PROCESSOR}" _cinit_arch)
else()
  set(_cinit_arch unknown)
endif()
set(CPACK_PACKAGE_FILE_NAME "cinit-${PROJECT_VERSION}-linux-${_cinit_arch}")

# .deb: cinit_VERSION_ARCH.deb, no dependencies (static binary).
# The musl toolchain file names the Debian architecture it builds for.
if(CINIT_DEB_ARCH)
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${CINIT_DEB_ARCH})
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CINIT_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
if(CINIT_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${CINIT_PACKAGE_HOMEPAGE}")
endif()

set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_SOURCE_GENERATOR "TGZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/\\\\.cache/")

include(CPack)
