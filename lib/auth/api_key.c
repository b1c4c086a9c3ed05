/* Service API keys: "tars_" + base64url(32 random bytes), stored as SHA-256. */
#include <string.h>

#include "tars/auth.h"
#include "tars/crypto.h"

#define API_KEY_PREFIX "tars_"
#define API_KEY_RANDOM_BYTES 32

void tars_api_key_generate(char out[64])
{
    uint8_t raw[API_KEY_RANDOM_BYTES];
    size_t prefix = sizeof(API_KEY_PREFIX) - 1;

    tars_random_bytes(raw, sizeof(raw));
    memcpy(out, API_KEY_PREFIX, prefix);
    /* 32 bytes → 43 characters + NUL: 5 + 44 fits in 64. */
    tars_base64url_encode(raw, sizeof(raw), out + prefix);
}

void tars_api_key_hash(const char *key, char out[72])
{
    memcpy(out, "sha256:", 7);
    tars_sha256_hex(key, strlen(key), out + 7);
}
