/* The checksums SQS returns and the SDKs verify: MD5OfMessageBody,
 * MD5OfMessageAttributes and MD5OfMessageSystemAttributes, computed exactly
 * as AWS does. Attributes are the JSON shape of the API
 * ({"Name":{"DataType":..,"StringValue":..|"BinaryValue":base64}}). */
#ifndef SL_SQS_DIGEST_H
#define SL_SQS_DIGEST_H

#include <jansson.h>
#include <stddef.h>

/* Lowercase hex MD5 of bytes. */
void sl_sqs_md5_hex(const void *p, size_t n, char out[33]);

/* MD5 over the attributes as AWS encodes them: for each name in sorted
 * order, u32-length-prefixed name, data type and value, and a transport
 * byte (1 string/number, 2 binary) before the value. Returns 0, or -1 when
 * an attribute is malformed. An empty object gives "". */
int sl_sqs_md5_attributes(const json_t *attrs, char out[33]);

#endif
