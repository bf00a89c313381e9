# locksmith_component(<dir> [INTERNAL] DEPS <component dirs or targets>...)
# Builds src/<dir>/*.cc into the object library locksmith_<dir with / replaced by _> and adds its
# objects to the one locksmith library, or with INTERNAL to the internal CLI library (never
# installed). A DEPS entry naming another component links that component's objects and usage
# requirements; anything else is passed to target_link_libraries.
set(LOCKSMITH_UNITY_BATCH 4 CACHE STRING
    "Source files per unity translation unit (library and tests); 0 turns unity builds off")
set(LOCKSMITH_ALL_OBJECTS "")
set(LOCKSMITH_INTERNAL_OBJECTS "")
set(LOCKSMITH_COMPONENTS "")

function(locksmith_component_target out dir)
  string(REPLACE "/" "_" name "${dir}")
  set(${out} "locksmith_${name}" PARENT_SCOPE)
endfunction()

function(locksmith_component dir)
  cmake_parse_arguments(ARG "INTERNAL" "" "DEPS" ${ARGN})
  locksmith_component_target(target "${dir}")
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/${dir}/*.cc")
  list(APPEND LOCKSMITH_COMPONENTS "${dir}")
  set(LOCKSMITH_COMPONENTS "${LOCKSMITH_COMPONENTS}" PARENT_SCOPE)
  if(NOT sources)
    # Not written yet: depending on it gives nothing.
    set_property(GLOBAL PROPERTY LOCKSMITH_CLOSURE_${target} "")
    return()
  endif()
  add_library(${target} OBJECT ${sources})
  if(LOCKSMITH_UNITY_BATCH GREATER 0)
    # Unity build: a component's files compile in batches (one translation unit each), so the
    # heavy headers (nlohmann/json, spdlog, fmt) are parsed once per batch, not once per file.
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON
                                               UNITY_BUILD_BATCH_SIZE ${LOCKSMITH_UNITY_BATCH})
  endif()
  target_include_directories(${target}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC Threads::Threads)
  set(closure "${target}")
  foreach(dep IN LISTS ARG_DEPS)
    if(dep IN_LIST LOCKSMITH_COMPONENTS)
      locksmith_component_target(dep_target "${dep}")
      get_property(dep_closure GLOBAL PROPERTY LOCKSMITH_CLOSURE_${dep_target})
      if(dep_closure)
        target_link_libraries(${target} PUBLIC ${dep_closure})
      endif()
      list(APPEND closure ${dep_closure})
    else()
      target_link_libraries(${target} PUBLIC ${dep})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES closure)
  # Object files of every component this one needs, so a test can link exactly these.
  set_property(GLOBAL PROPERTY LOCKSMITH_CLOSURE_${target} "${closure}")
  if(ARG_INTERNAL)
    list(APPEND LOCKSMITH_INTERNAL_OBJECTS "$<TARGET_OBJECTS:${target}>")
    set(LOCKSMITH_INTERNAL_OBJECTS "${LOCKSMITH_INTERNAL_OBJECTS}" PARENT_SCOPE)
  else()
    list(APPEND LOCKSMITH_ALL_OBJECTS "$<TARGET_OBJECTS:${target}>")
    set(LOCKSMITH_ALL_OBJECTS "${LOCKSMITH_ALL_OBJECTS}" PARENT_SCOPE)
  endif()
endfunction()
