# kitsuneConfig.cmake - find_package(kitsune): the imported targets kitsune::kitsune
# (libkitsune and its headers), kitsune::kitc and kitsune::xfgen, and the function
# kitsune_add_program (Kitsune.cmake) that builds updatable program versions with them.
include(${CMAKE_CURRENT_LIST_DIR}/kitsuneTargets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/Kitsune.cmake)
get_filename_component(KITSUNE_PREFIX ${CMAKE_CURRENT_LIST_DIR}/../../.. ABSOLUTE)
set(KITSUNE_COMMAND ${KITSUNE_PREFIX}/bin/kitsune) # `kitsune run` / `kitsune update`
