# install.cmake - what `make install PREFIX=...` / `cmake --install` adds besides the
# targets (each CMakeLists.txt installs its own): the CMake package (find_package
# (kitsune) gives kitsune_add_program), kitsune.pc for pkg-config, the Make fragment
# and the man pages.  Every file finds the others relative to itself, so an installed
# tree can be moved (cmake --install --prefix chooses the place at install time).
include(CMakePackageConfigHelpers)

install(EXPORT kitsuneTargets NAMESPACE kitsune:: DESTINATION lib/cmake/kitsune)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/kitsuneConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/kitsuneConfig.cmake ${CMAKE_CURRENT_LIST_DIR}/Kitsune.cmake
              ${PROJECT_BINARY_DIR}/kitsuneConfigVersion.cmake
        DESTINATION lib/cmake/kitsune)

configure_file(${CMAKE_CURRENT_LIST_DIR}/kitsune.pc.in ${PROJECT_BINARY_DIR}/kitsune.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/kitsune.pc DESTINATION lib/pkgconfig)

install(FILES ${CMAKE_CURRENT_LIST_DIR}/kitsune.mk DESTINATION share/kitsune)

file(GLOB man_pages CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.[0-9])
foreach(page ${man_pages})
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
  install(FILES ${page} DESTINATION share/man/man${section})
endforeach()
