/* libFuzzer target: form/query decoding and the model-driven awsQuery
 * decoder (SQS or SNS model, picked by the first byte), plus XML
 * serialisation of whatever input shape comes out. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "api/aws/form.h"
#include "api/aws/query.h"
#include "api/aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const sl_aws_model *m = (data[0] & 1) ? &sl_aws_model_sns
                                          : &sl_aws_model_sqs;
    json_t *params = json_object();
    sl_aws_error err;
    if (sl_aws_form_decode((const char *)data + 1, size - 1, params, &err) ==
        0) {
        const sl_aws_op_model *op;
        json_t *in = NULL;
        if (sl_aws_query_decode(m, params, &op, &in, &err) == 0) {
            /* Round the decoded input through the XML writer. */
            sl_aws_buf b = SL_AWS_BUF_INIT;
            if (op->input != SL_AWS_NO_SHAPE)
                sl_aws_xml_value(m, op->input, 0, "In", in, &b);
            sl_aws_xml_query_response(m, op, in, "r", &b);
            sl_aws_buf_free(&b);
            json_decref(in);
        }
    }
    json_decref(params);
    return 0;
}
