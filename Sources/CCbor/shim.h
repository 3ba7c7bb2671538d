// libcbor as a Swift module (apt: libcbor-dev).
#include <cbor.h>
