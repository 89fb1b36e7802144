#!/usr/bin/env python3
"""Generate compact C model tables (api/aws/model_<svc>.c) from botocore.

Usage: python3 api/aws/gen/gen_models.py [botocore_data_dir]

The output is committed; the build never runs this script. Re-run it after a
botocore upgrade and review the diff.

SQS: botocore now ships SQS as awsJson1_0 and has dropped the awsQuery
serialisation traits (locationName) and the query error codes. Older SDKs
still speak awsQuery to SQS, so the historic names are restored below from
the 2012-11-05 awsQuery model (SQS_MEMBER_LOC, SQS_LIST_LOC, SQS_MAP_LOC,
SQS_ERRORS). Everything else comes from the installed model unchanged.
"""
import gzip
import json
import os
import sys

SERVICES = [
    # (c name, botocore dir, version, xml namespace override, json prefix)
    ("sqs", "sqs", "2012-11-05", "http://queue.amazonaws.com/doc/2012-11-05/",
     "com.amazonaws.sqs#"),
    ("sns", "sns", "2010-03-31", None, ""),
]

SQS_MEMBER_LOC = {
    ("ReceiveMessageResult", "Messages"): "Message",
    ("Message", "Attributes"): "Attribute",
    ("Message", "MessageAttributes"): "MessageAttribute",
    ("MessageAttributeValue", "StringListValues"): "StringListValue",
    ("MessageAttributeValue", "BinaryListValues"): "BinaryListValue",
    ("MessageSystemAttributeValue", "StringListValues"): "StringListValue",
    ("MessageSystemAttributeValue", "BinaryListValues"): "BinaryListValue",
    ("GetQueueAttributesResult", "Attributes"): "Attribute",
    ("GetQueueAttributesRequest", "AttributeNames"): "AttributeName",
    ("SetQueueAttributesRequest", "Attributes"): "Attribute",
    ("CreateQueueRequest", "Attributes"): "Attribute",
    ("CreateQueueRequest", "tags"): "Tag",
    ("TagQueueRequest", "Tags"): "Tag",
    ("UntagQueueRequest", "TagKeys"): "TagKey",
    ("ListQueueTagsResult", "Tags"): "Tag",
    ("ListQueuesResult", "QueueUrls"): "QueueUrl",
    ("ListDeadLetterSourceQueuesResult", "queueUrls"): "QueueUrl",
    ("ReceiveMessageRequest", "AttributeNames"): "AttributeName",
    ("ReceiveMessageRequest", "MessageSystemAttributeNames"):
        "MessageSystemAttributeName",
    ("ReceiveMessageRequest", "MessageAttributeNames"): "MessageAttributeName",
    ("SendMessageRequest", "MessageAttributes"): "MessageAttribute",
    ("SendMessageRequest", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("SendMessageBatchRequestEntry", "MessageAttributes"): "MessageAttribute",
    ("SendMessageBatchRequestEntry", "MessageSystemAttributes"):
        "MessageSystemAttribute",
    ("SendMessageBatchRequest", "Entries"): "SendMessageBatchRequestEntry",
    ("DeleteMessageBatchRequest", "Entries"): "DeleteMessageBatchRequestEntry",
    ("ChangeMessageVisibilityBatchRequest", "Entries"):
        "ChangeMessageVisibilityBatchRequestEntry",
    ("SendMessageBatchResult", "Successful"): "SendMessageBatchResultEntry",
    ("SendMessageBatchResult", "Failed"): "BatchResultErrorEntry",
    ("DeleteMessageBatchResult", "Successful"): "DeleteMessageBatchResultEntry",
    ("DeleteMessageBatchResult", "Failed"): "BatchResultErrorEntry",
    ("ChangeMessageVisibilityBatchResult", "Successful"):
        "ChangeMessageVisibilityBatchResultEntry",
    ("ChangeMessageVisibilityBatchResult", "Failed"): "BatchResultErrorEntry",
    ("AddPermissionRequest", "AWSAccountIds"): "AWSAccountId",
    ("AddPermissionRequest", "Actions"): "ActionName",
    ("ListMessageMoveTasksResult", "Results"): "ListMessageMoveTasksResultEntry",
}
SQS_LIST_LOC = {
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
    "AttributeNameList": "AttributeName",
    "MessageAttributeNameList": "MessageAttributeName",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "QueueUrlList": "QueueUrl",
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "TagKeyList": "TagKey",
    "MessageList": "Message",
    "SendMessageBatchRequestEntryList": "SendMessageBatchRequestEntry",
    "SendMessageBatchResultEntryList": "SendMessageBatchResultEntry",
    "DeleteMessageBatchRequestEntryList": "DeleteMessageBatchRequestEntry",
    "DeleteMessageBatchResultEntryList": "DeleteMessageBatchResultEntry",
    "ChangeMessageVisibilityBatchRequestEntryList":
        "ChangeMessageVisibilityBatchRequestEntry",
    "ChangeMessageVisibilityBatchResultEntryList":
        "ChangeMessageVisibilityBatchResultEntry",
    "BatchResultErrorEntryList": "BatchResultErrorEntry",
    "ListMessageMoveTasksResultEntryList": "ListMessageMoveTasksResultEntry",
}
SQS_MAP_LOC = {
    "QueueAttributeMap": ("Name", "Value"),
    "MessageSystemAttributeMap": ("Name", "Value"),
    "MessageBodyAttributeMap": ("Name", "Value"),
    "MessageBodySystemAttributeMap": ("Name", "Value"),
    "TagMap": ("Key", "Value"),
}
# shape -> (awsQuery code, HTTP status)
SQS_ERRORS = {
    "BatchEntryIdsNotDistinct":
        ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400),
    "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400),
    "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400),
    "InvalidAddress": ("InvalidAddress", 404),
    "InvalidAttributeName": ("InvalidAttributeName", 400),
    "InvalidAttributeValue": ("InvalidAttributeValue", 400),
    "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400),
    "InvalidIdFormat": ("InvalidIdFormat", 400),
    "InvalidMessageContents": ("InvalidMessageContents", 400),
    "InvalidSecurity": ("InvalidSecurity", 403),
    "KmsAccessDenied": ("KMS.AccessDeniedException", 400),
    "KmsDisabled": ("KMS.DisabledException", 400),
    "KmsInvalidKeyUsage": ("KMS.InvalidKeyUsageException", 400),
    "KmsInvalidState": ("KMS.InvalidStateException", 400),
    "KmsNotFound": ("KMS.NotFoundException", 400),
    "KmsOptInRequired": ("KMS.OptInRequired", 403),
    "KmsThrottled": ("KMS.ThrottlingException", 400),
    "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400),
    "OverLimit": ("OverLimit", 403),
    "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403),
    "QueueDeletedRecently":
        ("AWS.SimpleQueueService.QueueDeletedRecently", 400),
    "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", 404),
    "RequestThrottled": ("RequestThrottled", 403),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
    "TooManyEntriesInBatchRequest":
        ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400),
    "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400),
}

TYPES = {
    "structure": "SL_AWS_SHAPE_STRUCT", "list": "SL_AWS_SHAPE_LIST",
    "map": "SL_AWS_SHAPE_MAP", "string": "SL_AWS_SHAPE_STRING",
    "integer": "SL_AWS_SHAPE_INTEGER", "long": "SL_AWS_SHAPE_LONG",
    "boolean": "SL_AWS_SHAPE_BOOLEAN", "double": "SL_AWS_SHAPE_DOUBLE",
    "float": "SL_AWS_SHAPE_FLOAT", "timestamp": "SL_AWS_SHAPE_TIMESTAMP",
    "blob": "SL_AWS_SHAPE_BLOB",
}


def cstr(s):
    if s is None:
        return "NULL"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load(data_dir, d, version):
    base = os.path.join(data_dir, d, version, "service-2.json")
    if os.path.exists(base + ".gz"):
        with gzip.open(base + ".gz") as f:
            return json.load(f)
    with open(base) as f:
        return json.load(f)


def gen(cname, model, xmlns, json_prefix):
    sqs = cname == "sqs"
    meta = model["metadata"]
    shapes = model["shapes"]
    names = sorted(shapes)
    index = {n: i for i, n in enumerate(names)}
    members = []
    shape_rows = []
    for n in names:
        s = shapes[n]
        t = s["type"]
        if t not in TYPES:
            raise SystemExit(f"{cname}: unsupported shape type {t} ({n})")
        flat = 1 if s.get("flattened") else 0
        a = b = 0
        n1 = n2 = None
        if t == "structure":
            a = len(members)
            for mn, mm in s.get("members", {}).items():
                loc = mm.get("locationName")
                if sqs:
                    loc = SQS_MEMBER_LOC.get((n, mn), loc)
                if loc == mn:
                    loc = None
                members.append((mn, loc, index[mm["shape"]],
                                1 if mm.get("flattened") else 0))
            b = len(members) - a
        elif t == "list":
            a = index[s["member"]["shape"]]
            n1 = s["member"].get("locationName")
            if sqs:
                n1 = SQS_LIST_LOC.get(n, n1)
        elif t == "map":
            a = index[s["key"]["shape"]]
            b = index[s["value"]["shape"]]
            n1 = s["key"].get("locationName")
            n2 = s["value"].get("locationName")
            if sqs and n in SQS_MAP_LOC:
                n1, n2 = SQS_MAP_LOC[n]
        shape_rows.append((n, TYPES[t], flat, a, b, n1, n2))
    ops = []
    for on in sorted(model["operations"]):
        o = model["operations"][on]
        inp = o.get("input", {}).get("shape")
        out = o.get("output", {}).get("shape")
        wrapper = o.get("output", {}).get("resultWrapper")
        ops.append((on, index[inp] if inp else None,
                    index[out] if out else None, wrapper))
    errors = []
    for n in names:
        s = shapes[n]
        if not s.get("exception"):
            continue
        e = s.get("error", {})
        code = e.get("code", n)
        status = e.get("httpStatusCode", 400)
        sender = 1 if e.get("senderFault", status < 500) else 0
        if sqs and n in SQS_ERRORS:
            code, status = SQS_ERRORS[n]
            sender = 1
        errors.append((n, code, status, sender))

    out = []
    w = out.append
    w("/* Generated by api/aws/gen/gen_models.py from botocore's")
    w(f" * {meta.get('uid', cname)} model. Do not edit. */")
    w('#include "api/aws/model.h"\n')
    w(f"static const sl_aws_shape shapes[] = {{")
    for (n, t, flat, a, b, n1, n2) in shape_rows:
        w(f"    {{{cstr(n)}, {t}, {flat}, {a}, {b}, {cstr(n1)}, {cstr(n2)}}},")
    w("};\n")
    w("static const sl_aws_member members[] = {")
    for (mn, loc, sh, fl) in members:
        w(f"    {{{cstr(mn)}, {cstr(loc)}, {sh}, {fl}}},")
    if not members:
        w("    {NULL, NULL, 0, 0},")
    w("};\n")
    w("static const sl_aws_op_model ops[] = {")
    for (on, i, o, wr) in ops:
        i = "SL_AWS_NO_SHAPE" if i is None else i
        o = "SL_AWS_NO_SHAPE" if o is None else o
        w(f"    {{{cstr(on)}, {i}, {o}, {cstr(wr)}}},")
    w("};\n")
    w("static const sl_aws_error_model errors[] = {")
    for (n, code, st, snd) in errors:
        w(f"    {{{cstr(n)}, {cstr(code)}, {st}, {snd}}},")
    w("};\n")
    w(f"const sl_aws_model sl_aws_model_{cname} = {{")
    w(f"    .service = {cstr(meta['endpointPrefix'])},")
    w(f"    .api_version = {cstr(meta['apiVersion'])},")
    w(f"    .xml_namespace = {cstr(xmlns or meta.get('xmlNamespace'))},")
    w(f"    .target_prefix = {cstr(meta.get('targetPrefix'))},")
    w(f"    .json_version = {cstr(meta.get('jsonVersion'))},")
    w(f"    .json_error_prefix = {cstr(json_prefix)},")
    w(f"    .query_compatible = {1 if 'awsQueryCompatible' in meta else 0},")
    w("    .shapes = shapes,")
    w("    .n_shapes = sizeof(shapes) / sizeof(shapes[0]),")
    w("    .members = members,")
    w(f"    .n_members = {len(members)},")
    w("    .ops = ops,")
    w("    .n_ops = sizeof(ops) / sizeof(ops[0]),")
    w("    .errors = errors,")
    w("    .n_errors = sizeof(errors) / sizeof(errors[0]),")
    w("};")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) > 1:
        data_dir = sys.argv[1]
    else:
        import botocore
        data_dir = os.path.join(os.path.dirname(botocore.__file__), "data")
    here = os.path.dirname(os.path.abspath(__file__))
    for cname, d, version, xmlns, jp in SERVICES:
        model = load(data_dir, d, version)
        path = os.path.join(here, "..", f"model_{cname}.c")
        with open(path, "w") as f:
            f.write(gen(cname, model, xmlns, jp))
        print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
