# Installs headers, the libraries, a CMake package (find_package(rediscluster)
# gives rediscluster::rediscluster, and rediscluster::asio when it was built)
# and a pkg-config file.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS rediscluster EXPORT rediscluster-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(REDISCLUSTER_BUILD_ASIO)
    install(TARGETS rediscluster_asio EXPORT rediscluster-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    install(DIRECTORY include/rediscluster DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
else()
    # Without the asynchronous library its headers are not installed.
    install(DIRECTORY include/rediscluster DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        PATTERN asio EXCLUDE)
endif()

set(_config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/rediscluster)
install(EXPORT rediscluster-targets
    NAMESPACE rediscluster::
    DESTINATION ${_config_dir})
configure_package_config_file(cmake/rediscluster-config.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/rediscluster-config.cmake
    INSTALL_DESTINATION ${_config_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/rediscluster-config-version.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES
    ${CMAKE_CURRENT_BINARY_DIR}/rediscluster-config.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/rediscluster-config-version.cmake
    DESTINATION ${_config_dir})

# The .pc file finds its prefix relative to itself, so an install moved or
# made with `cmake --install --prefix` still points at the right place.
file(RELATIVE_PATH PC_PREFIX_FROM_PCFILEDIR
    /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(cmake/rediscluster.pc.in ${CMAKE_CURRENT_BINARY_DIR}/rediscluster.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rediscluster.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
