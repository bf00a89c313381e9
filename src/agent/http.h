// The one place that includes cpp-httplib. Debian ships it as a compiled library
// (libcpp-httplib.so) built with these feature macros; they change the layout of its types
// (httplib::Request has an SSL* member with OpenSSL support), so every includer must see them.
#pragma once

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif

#include <httplib.h>
