# Kitsune.cmake - build integration: one function turns C sources into an updatable
# program version.
#
#   kitsune_add_program(TARGET
#       SOURCES a.c b.c ...            # the version's sources
#       [ROOT dir]                     # source root for variable keys (default: the
#                                      # current source dir)
#       [OUTPUT_NAME name]             # file name without .so (default: TARGET)
#       [OUTPUT_DIRECTORY dir]         # where the .so goes (default: the current binary
#                                      # dir); e.g. v2 for v2/app.so and its v2/plugins
#       [LIBS lib ...]                 # extra libraries to link
#       [DEFINES NAME=VALUE ...]       # compile definitions
#       [INCLUDES dir ...]             # include directories
#       [FROM previous_target]         # the version this one updates from
#       [XF rules.xf]                  # rules for xfgen
#       [SELF_XF rules.xf]             # rules for updating from itself (default: XF)
#       [MODULES old>new ...]          # modules the program dlopens (kitsune_add_module
#                                      # targets of the previous and this version; one
#                                      # side empty for a module added or removed), so
#                                      # that rules can name their keys NAME@KEY
#       [ALLOW_UNDEFINED])             # link without -Wl,--no-undefined (tests of the
#                                      # runtime's refusal of unloadable versions)
#
# The result is TARGET's .so: built -fPIC -g, linked against libkitsune, with its type
# summary (kitc) embedded in section .kitsune_ktt.  With FROM, xfgen compares the
# previous version's summary with this one's (and the rules), and the transformers it
# generates are compiled into this version (-Wall -Wextra -Werror); xfgen stops the
# build with a diagnostic when it needs programmer input.  A version built with FROM,
# XF or SELF_XF also carries the rules for updating from itself (xfgen --self: of its
# rules, those that a v -> v update cannot do without), which the runtime picks when
# the running version is this one.  Versions are linked with
# -Wl,--no-undefined, so a symbol that the rules' code uses and nothing defines fails
# the build, not the update.
#
# Inside kitsune's own tree the function uses the targets kitsune, kitc and xfgen (by
# their aliases kitsune::kitsune, kitsune::kitc, kitsune::xfgen); in
# any other project `find_package(kitsune)` (lib/cmake/kitsune under the install
# prefix) includes this file with the imported targets kitsune::kitsune,
# kitsune::kitc and kitsune::xfgen.  Versions get -g whatever CMAKE_BUILD_TYPE is: the
# runtime finds a version's code and types (and the transformers' code) by its DWARF.

function(kitsune_add_program target)
  # The tools are targets (this tree) or imported executables (an installed kitsune).
  foreach(tool kitc xfgen)
    if(NOT TARGET kitsune::${tool})
      message(FATAL_ERROR "kitsune_add_program: no ${tool}: use find_package(kitsune) or "
                          "build inside kitsune's tree")
    endif()
  endforeach()
  set(kitc $<TARGET_FILE:kitsune::kitc>)
  set(xfgen $<TARGET_FILE:kitsune::xfgen>)
  if(TARGET kitc) # built here: order the build after the tools
    set(tool_deps kitc xfgen)
  else()
    set(tool_deps ${kitc} ${xfgen})
  endif()
  cmake_parse_arguments(KP "ALLOW_UNDEFINED" "ROOT;OUTPUT_NAME;OUTPUT_DIRECTORY;FROM;XF;SELF_XF"
                        "SOURCES;LIBS;DEFINES;INCLUDES;MODULES" ${ARGN})
  # xfgen --module NAME OLD.ktt NEW.ktt for each pair (docs/plugins.md §4).
  set(mod_args "")
  set(self_mod_args "")
  set(mod_deps "")
  foreach(pair ${KP_MODULES})
    string(REPLACE ">" ";" sides "${pair}")
    list(LENGTH sides nsides)
    if(NOT pair MATCHES ">" OR NOT nsides EQUAL 2)
      message(FATAL_ERROR "kitsune_add_program: MODULES takes OLD>NEW, got ${pair}")
    endif()
    list(GET sides 0 mold)
    list(GET sides 1 mnew)
    set(old_ktt -)
    set(new_ktt -)
    if(mold)
      set(mname $<TARGET_FILE_BASE_NAME:${mold}>)
      set(old_ktt $<TARGET_FILE:${mold}>.ktt)
      list(APPEND mod_deps ${mold})
    endif()
    if(mnew)
      set(mname $<TARGET_FILE_BASE_NAME:${mnew}>)
      set(new_ktt $<TARGET_FILE:${mnew}>.ktt)
      list(APPEND mod_deps ${mnew})
    endif()
    list(APPEND mod_args --module ${mname} ${old_ktt} ${new_ktt})
    list(APPEND self_mod_args --module ${mname} ${new_ktt} ${new_ktt})
  endforeach()
  if(NOT KP_ROOT)
    set(KP_ROOT ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  if(NOT KP_OUTPUT_NAME)
    set(KP_OUTPUT_NAME ${target})
  endif()
  set(work ${CMAKE_CURRENT_BINARY_DIR}/kitsune) # the build's intermediate files
  if(KP_OUTPUT_DIRECTORY)
    set(work ${KP_OUTPUT_DIRECTORY}/kitsune)
  endif()
  set(objects ${target}_objects)
  add_library(${objects} OBJECT ${KP_SOURCES})
  set_target_properties(${objects} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${objects} PRIVATE -g)
  if(KP_DEFINES)
    target_compile_definitions(${objects} PRIVATE ${KP_DEFINES})
  endif()
  target_include_directories(${objects} PRIVATE
    $<TARGET_PROPERTY:kitsune::kitsune,INTERFACE_INCLUDE_DIRECTORIES> ${KP_INCLUDES})

  set(sources $<TARGET_OBJECTS:${objects}>)
  if(KP_FROM OR KP_XF OR KP_SELF_XF)
    # Stage 1: the version without transformers, only to read its types.
    set(stage1 ${target}_types)
    add_library(${stage1} SHARED $<TARGET_OBJECTS:${objects}>)
    target_link_libraries(${stage1} PRIVATE kitsune::kitsune ${KP_LIBS})
    set_target_properties(${stage1} PROPERTIES PREFIX "" OUTPUT_NAME ${KP_OUTPUT_NAME}.types
                          LIBRARY_OUTPUT_DIRECTORY ${work})
    set(xf_c ${work}/${KP_OUTPUT_NAME}.xf.c)
    set(self_c ${work}/${KP_OUTPUT_NAME}.self.xf.c)
    set(rules "")
    if(KP_XF)
      get_filename_component(rules ${KP_XF} ABSOLUTE)
    endif()
    set(self_rules ${rules})
    if(KP_SELF_XF)
      get_filename_component(self_rules ${KP_SELF_XF} ABSOLUTE)
    endif()
    add_custom_command(OUTPUT ${xf_c}.ktt
      COMMAND ${kitc} -o ${xf_c}.ktt --root ${KP_ROOT}
              "-I$<JOIN:$<TARGET_PROPERTY:${objects},INCLUDE_DIRECTORIES>,;-I>"
            "-D$<JOIN:$<TARGET_PROPERTY:${objects},COMPILE_DEFINITIONS>,;-D>"
              $<TARGET_FILE:${stage1}>
      DEPENDS ${stage1} ${tool_deps}
      COMMAND_EXPAND_LISTS VERBATIM)
    if(KP_FROM)
      add_custom_command(OUTPUT ${xf_c}
        COMMAND ${xfgen} $<TARGET_FILE:${KP_FROM}>.ktt ${xf_c}.ktt ${rules} -o ${xf_c}
                ${mod_args}
        DEPENDS ${xf_c}.ktt ${KP_FROM} ${tool_deps} ${rules} ${mod_deps}
        VERBATIM)
      list(APPEND sources ${xf_c})
    endif()
    add_custom_command(OUTPUT ${self_c}
      COMMAND ${xfgen} --self ${xf_c}.ktt ${self_rules} -o ${self_c} ${self_mod_args}
      DEPENDS ${xf_c}.ktt ${tool_deps} ${self_rules} ${mod_deps}
      VERBATIM)
    list(APPEND sources ${self_c})
    # The transformers must be right at build time, never at update time: a warning
    # (an undeclared function such as assert without its header) stops the build.
    set_source_files_properties(${xf_c} ${self_c} PROPERTIES COMPILE_OPTIONS
                                "-Wall;-Wextra;-Werror")
  endif()

  add_library(${target} SHARED ${sources})
  target_link_libraries(${target} PRIVATE kitsune::kitsune ${KP_LIBS})
  target_compile_options(${target} PRIVATE -g) # the transformers, without a build type too
  # An undefined symbol would only show when the update loads the version.
  if(NOT KP_ALLOW_UNDEFINED)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  set_target_properties(${target} PROPERTIES PREFIX "" OUTPUT_NAME ${KP_OUTPUT_NAME})
  if(KP_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${KP_OUTPUT_DIRECTORY})
  endif()
  if(TARGET kitc) # built here: a new kitc writes the summary again (relinking runs it)
    add_dependencies(${target} kitc)
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS $<TARGET_FILE:kitc>)
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${kitc} -o $<TARGET_FILE:${target}>.ktt --root ${KP_ROOT}
            "-I$<JOIN:$<TARGET_PROPERTY:${objects},INCLUDE_DIRECTORIES>,;-I>"
            "-D$<JOIN:$<TARGET_PROPERTY:${objects},COMPILE_DEFINITIONS>,;-D>"
            $<TARGET_FILE:${target}>
    COMMAND ${kitc} --embed $<TARGET_FILE:${target}>.ktt $<TARGET_FILE:${target}>
    COMMAND_EXPAND_LISTS VERBATIM)
endfunction()

# kitsune_add_module(TARGET SOURCES a.c ... [ROOT dir] [OUTPUT_NAME name]
#                    [OUTPUT_DIRECTORY dir] [LIBS ...] [DEFINES ...] [INCLUDES ...])
#
# A module that an updatable program dlopens itself (docs/plugins.md): built -fPIC -g,
# not linked against the main program, with its type summary embedded (kitc) like a
# version's.  Put each version's modules in a directory beside that version's .so
# (OUTPUT_DIRECTORY, e.g. v2/plugins for v2/app.so): at an update kitsune loads the
# module of the same relative path beside the new version.  Its keys are NAME@KEY,
# NAME being the file name without .so; name it in kitsune_add_program's MODULES.
function(kitsune_add_module target)
  if(NOT TARGET kitsune::kitc)
    message(FATAL_ERROR "kitsune_add_module: no kitc: use find_package(kitsune) or "
                        "build inside kitsune's tree")
  endif()
  cmake_parse_arguments(KM "" "ROOT;OUTPUT_NAME;OUTPUT_DIRECTORY"
                        "SOURCES;LIBS;DEFINES;INCLUDES" ${ARGN})
  if(NOT KM_ROOT)
    set(KM_ROOT ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  if(NOT KM_OUTPUT_NAME)
    set(KM_OUTPUT_NAME ${target})
  endif()
  set(kitc $<TARGET_FILE:kitsune::kitc>)
  add_library(${target} MODULE ${KM_SOURCES})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON PREFIX ""
                        OUTPUT_NAME ${KM_OUTPUT_NAME})
  if(KM_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${KM_OUTPUT_DIRECTORY})
  endif()
  target_compile_options(${target} PRIVATE -g)
  if(KM_DEFINES)
    target_compile_definitions(${target} PRIVATE ${KM_DEFINES})
  endif()
  target_include_directories(${target} PRIVATE
    $<TARGET_PROPERTY:kitsune::kitsune,INTERFACE_INCLUDE_DIRECTORIES> ${KM_INCLUDES})
  target_link_libraries(${target} PRIVATE kitsune::kitsune ${KM_LIBS})
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  if(TARGET kitc) # built here: a new kitc writes the summary again (relinking runs it)
    add_dependencies(${target} kitc)
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS $<TARGET_FILE:kitc>)
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${kitc} -o $<TARGET_FILE:${target}>.ktt --root ${KM_ROOT}
            "-I$<JOIN:$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>,;-I>"
            "-D$<JOIN:$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>,;-D>"
            $<TARGET_FILE:${target}>
    COMMAND ${kitc} --embed $<TARGET_FILE:${target}>.ktt $<TARGET_FILE:${target}>
    COMMAND_EXPAND_LISTS VERBATIM)
endfunction()
