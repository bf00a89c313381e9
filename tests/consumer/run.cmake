# ctest driver: install the built locksmith into a scratch prefix, then configure, build and run
# the consumer project against it. Inputs: -DBUILD_DIR= -DSOURCE_DIR= -DWORK_DIR= [-DSANITIZE=]
file(REMOVE_RECURSE "${WORK_DIR}")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}")
  endif()
  set(LAST_OUTPUT "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
set(sanitize_flags "")
if(SANITIZE)
  set(sanitize_flags "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}"
                     "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK_DIR}/build" -G Ninja
    "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix" ${sanitize_flags})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
# The one-liner reads its configuration from the environment: the embedded store in a scratch
# directory (the master key file is created on first use).
run(${CMAKE_COMMAND} -E env --unset=SECRETS_BACKEND --unset=LOCKSMITH_MASTER_KEY
    "LOCKSMITH_STORE=${WORK_DIR}/store/secrets.db" "HOME=${WORK_DIR}/home"
    "${WORK_DIR}/build/consumer")
if(NOT LAST_OUTPUT MATCHES "db-encryption-key \\*\\*\\* matches on local\n$")
  message(FATAL_ERROR "unexpected consumer output: ${LAST_OUTPUT}")
endif()
run("${WORK_DIR}/build/consumer_testing")
message(STATUS "consumer built with find_package(locksmith), read a secret, and ran its test")
