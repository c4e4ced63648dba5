# Warning and sanitizer flags shared by every target of the project (never
# exported to users: they come through the rediscluster_build_options
# interface target, which is not installed).

add_library(rediscluster_build_options INTERFACE)
target_compile_options(rediscluster_build_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
if(REDISCLUSTER_WERROR)
    target_compile_options(rediscluster_build_options INTERFACE -Werror)
endif()

if(REDISCLUSTER_SANITIZE)
    string(REPLACE ";" "," _sanitizers "${REDISCLUSTER_SANITIZE}")
    add_compile_options(-fsanitize=${_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${_sanitizers})
endif()
