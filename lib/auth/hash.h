/* Internal to lib/auth: a keyed 64-bit hash (SipHash-2-4) for tables whose
 * keys come from clients, so nobody can aim many keys at one bucket. */
#ifndef TARS_AUTH_HASH_H
#define TARS_AUTH_HASH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_KEY_LEN 16

uint64_t auth_hash64(const uint8_t key[AUTH_HASH_KEY_LEN], const void *data, size_t len);

#endif
