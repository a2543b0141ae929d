# SPDX-License-Identifier: Apache-2.0
# Debian packages with CPack (cpack -G DEB in the build directory):
#   libferry0     the shared library (component lib)
#   libferry-dev  headers, libferry.a, the .so link, CMake and pkg-config files
#   ferry-tools   ferry-upload and ferry-doctor, their man pages, completion
#   python3-ferry the Python package, using libferry0's library
# tests/packaging/run.sh builds, inspects, lints, installs and removes them.
set(FERRY_DEB_VERSION "${PROJECT_VERSION}-1")
set(FERRY_MAINTAINER "ferry maintainers <maintainers@ferry.invalid>")

# Every package carries the copyright file and a Debian changelog.
set(FERRY_DEB_DOC ${PROJECT_BINARY_DIR}/deb-doc)
string(TIMESTAMP FERRY_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${FERRY_DEB_DOC}/changelog.Debian
  "ferry (${FERRY_DEB_VERSION}) unstable; urgency=medium\n\n"
  "  * Release ${PROJECT_VERSION}; see CHANGELOG.md.\n\n"
  " -- ${FERRY_MAINTAINER}  ${FERRY_DEB_DATE}\n")
execute_process(COMMAND gzip -9nf ${FERRY_DEB_DOC}/changelog.Debian)
foreach(pair lib:libferry0 dev:libferry-dev tools:ferry-tools
        python:python3-ferry)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 component)
  list(GET pair 1 package)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright
    ${FERRY_DEB_DOC}/changelog.Debian.gz
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package}
    COMPONENT ${component})
endforeach()

# The Python package, as Debian lays out python3 modules; it loads
# libferry.so.0 from libferry0 through the system's library search.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/bindings/python/ferry
  DESTINATION lib/python3/dist-packages COMPONENT python
  FILES_MATCHING PATTERN "*.py" PATTERN "py.typed"
  PATTERN "__pycache__" EXCLUDE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ferry)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The ferry authors")
set(CPACK_PACKAGE_CONTACT ${FERRY_MAINTAINER})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL lib dev tools python)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The tools link libferry.so.0 of this build (it ships in libferry0).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/sdk)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libferry0)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# ldconfig runs through dpkg's trigger (CPack's postinst/postrm call it too).
file(WRITE ${FERRY_DEB_DOC}/triggers "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${FERRY_DEB_DOC}/triggers)
# /etc/mime.types, read when an upload asks for its Content-Type guessed.
set(CPACK_DEBIAN_LIB_PACKAGE_RECOMMENDS "media-types")
set(CPACK_COMPONENT_LIB_DESCRIPTION
  "resumable, verified uploads (shared library)\n\
ferry uploads files over tus 1.0 and S3 multipart, resuming after any\n\
interruption, verifying every byte, and explaining every refusal with a\n\
typed error. This package holds the shared library with its stable C ABI.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libferry-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libferry0 (= ${FERRY_DEB_VERSION})")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS
  "libcurl4-openssl-dev, libssl-dev, libabsl-dev, nlohmann-json3-dev, libzstd-dev, libexpat1-dev, libxxhash-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "resumable, verified uploads (development files)\n\
ferry uploads files over tus 1.0 and S3 multipart, resuming after any\n\
interruption, verifying every byte, and explaining every refusal with a\n\
typed error. This package holds the C and C++ headers, the static library\n\
(whose private dependencies are suggested), and the CMake and pkg-config\n\
files.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ferry-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "libferry0 (= ${FERRY_DEB_VERSION})")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
  "resumable, verified uploads (command-line tools)\n\
ferry-upload uploads files and streams over tus 1.0 and S3 multipart,\n\
resuming after any interruption; ferry-doctor checks a server and the path\n\
to it and says what is wrong and what to do.")

set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-ferry)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS
  "python3:any, libferry0 (>= ${FERRY_DEB_VERSION})")
set(CPACK_COMPONENT_PYTHON_DESCRIPTION
  "resumable, verified uploads (Python 3)\n\
The ferry Python package: uploads of paths, bytes and file objects over\n\
tus 1.0 and S3 multipart, with typed exceptions, over libferry's C ABI.")

include(CPack)
