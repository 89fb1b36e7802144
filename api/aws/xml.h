/* XML output for the awsQuery protocol.
 *
 * Escaping: & < > " ' become entities, CR becomes &#xD; (so it survives XML
 * end-of-line normalisation); TAB and LF are kept; other C0 control bytes,
 * which XML 1.0 cannot carry at all, are dropped. Bytes >= 0x80 are copied
 * (the input is UTF-8).
 *
 * Serialisation follows the model (botocore's rules, see query.h): members
 * in model order under their locationName; lists as <Name><member>..</member>
 * </Name> or, flattened, repeated <Name> elements; maps as <entry><key/>
 * <value/></entry> or flattened; booleans true/false; timestamps given as
 * epoch numbers are written ISO-8601 (2015-08-30T12:36:00.000Z). Output
 * members that the model does not know are skipped. */
#ifndef SL_AWS_XML_H
#define SL_AWS_XML_H

#include <jansson.h>

#include "api/aws/buf.h"
#include "api/aws/error.h"
#include "api/aws/model.h"

int sl_aws_xml_escape(sl_aws_buf *out, const char *s, size_t len);

/* Appends
 *   <OpResponse xmlns="ns"><OpResult>...</OpResult>
 *   <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata>
 *   </OpResponse>
 * The Result element is omitted when the operation has no output shape.
 * output may be NULL. Returns 0 or -1 (out of memory). */
int sl_aws_xml_query_response(const sl_aws_model *m,
                              const sl_aws_op_model *op, const json_t *output,
                              const char *request_id, sl_aws_buf *out);

/* Appends the value of `v` serialised as shape `shape` inside an element
 * named `name` (lists/maps flattened per `flattened`). */
int sl_aws_xml_value(const sl_aws_model *m, uint16_t shape, int flattened,
                     const char *name, const json_t *v, sl_aws_buf *out);

/* Appends <ErrorResponse xmlns="ns"><Error><Type>Sender|Receiver</Type>
 * <Code>wire code</Code><Message>..</Message></Error>
 * <RequestId>..</RequestId></ErrorResponse>. xmlns may be NULL. */
int sl_aws_xml_error_response(const char *xmlns, const sl_aws_error *err,
                              const char *request_id, sl_aws_buf *out);

#endif
