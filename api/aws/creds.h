/* Credentials store for SigV4 verification.
 *
 * File format (UTF-8 text, one credential per line):
 *
 *     # comment
 *     <access_key_id> <secret_access_key> <account_id>
 *
 * Fields are separated by spaces or tabs; blank lines and lines whose first
 * non-blank character is '#' are ignored. access_key_id is 1..128 bytes of
 * [A-Za-z0-9_-]... (any non-blank bytes accepted), secret 1..256 bytes,
 * account_id exactly 12 decimal digits. A duplicate access key id is an error.
 * Example (the development default, LocalStack convention):
 *
 *     test test 000000000000
 *
 * Ownership: sl_aws_creds_load()/sl_aws_creds_new() return a store the caller
 * frees with sl_aws_creds_free(). Lookups return pointers into the store,
 * valid until it is freed. The store is immutable after loading, so it may be
 * shared by threads read-only. */
#ifndef SL_AWS_CREDS_H
#define SL_AWS_CREDS_H

#include <stddef.h>

#define SL_AWS_ACCESS_KEY_MAX 128
#define SL_AWS_SECRET_MAX 256
#define SL_AWS_ACCOUNT_LEN 12

typedef struct sl_aws_cred {
    char access_key_id[SL_AWS_ACCESS_KEY_MAX + 1];
    char secret_access_key[SL_AWS_SECRET_MAX + 1];
    char account_id[SL_AWS_ACCOUNT_LEN + 1];
} sl_aws_cred;

typedef struct sl_aws_creds sl_aws_creds;

/* Empty store. NULL on allocation failure. */
sl_aws_creds *sl_aws_creds_new(void);
/* Adds one credential. Returns 0, or -1 with a reason in errbuf (invalid
 * field, duplicate key, out of memory). */
int sl_aws_creds_add(sl_aws_creds *c, const char *access_key_id,
                     const char *secret, const char *account_id,
                     char *errbuf, size_t errlen);
/* Parses text in the format above (len bytes, need not be NUL-terminated).
 * Returns 0 or -1 with "line N: reason" in errbuf; on error the store may
 * hold the lines before the bad one. */
int sl_aws_creds_parse(sl_aws_creds *c, const char *text, size_t len,
                       char *errbuf, size_t errlen);
/* Reads and parses a file. Returns a new store or NULL with errbuf set. */
sl_aws_creds *sl_aws_creds_load(const char *path, char *errbuf, size_t errlen);
/* Exact, case-sensitive lookup; NULL when unknown. key need not be
 * NUL-terminated. */
const sl_aws_cred *sl_aws_creds_find(const sl_aws_creds *c, const char *key,
                                     size_t key_len);
size_t sl_aws_creds_count(const sl_aws_creds *c);
void sl_aws_creds_free(sl_aws_creds *c);

#endif
