include(CMakePackageConfigHelpers)

install(TARGETS locksmith EXPORT locksmithTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/locksmith DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT locksmithTargets
  NAMESPACE locksmith::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/locksmith)
configure_package_config_file(cmake/locksmithConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/locksmithConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/locksmith)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/locksmithConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/locksmithConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/locksmithConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/locksmith)

# locksmith::testing: its own export set, loaded by locksmithConfig.cmake when GoogleTest is found.
if(TARGET locksmith_testing)
  install(TARGETS locksmith_testing EXPORT locksmithTestingTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY testing/include/locksmith DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT locksmithTestingTargets
    NAMESPACE locksmith::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/locksmith)
endif()
