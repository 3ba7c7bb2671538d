// libsodium as a Swift module (apt: libsodium-dev): SHA-256 and Ed25519.
#include <sodium.h>
