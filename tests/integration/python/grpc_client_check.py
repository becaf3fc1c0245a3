#!/usr/bin/env python3
"""A gRPC client no one in this project wrote (Python's grpcio) against a
running jobq-broker: grpc.health.v1.Health/Check, server reflection, and
jobq.admin.Admin/GetStatus, with plain channel calls and hand-made request
bytes (no stubs generated from jobq's .proto files).

GetStatus is decoded with the descriptors the broker itself hands out over
reflection, so this also shows that generic tools can read its answers.

Usage: grpc_client_check.py HOST:PORT [health SERVICE]...
Prints one JSON object on stdout:
  {"health": {"": "SERVING", ...}, "services": [...], "status": {...}}
(status as protobuf's JSON mapping, field names as in the .proto file).
With "health SERVICE" arguments, checks only those services' health and
prints {"health": {...}}. Exit code 0 when every call worked, 1 otherwise
(with the reason on stderr).
"""

import json
import sys

import grpc

HEALTH_NAMES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
TIMEOUT_S = 10


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def string_field(number, text):
    data = text.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def fields(data):
    """Yields (number, value) for each field of a serialized message:
    ints for varints, bytes for length-delimited fields."""
    i = 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, i = read_varint(data, i)
        elif wire_type == 2:
            length, i = read_varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire_type == 1:
            value, i = data[i:i + 8], i + 8
        elif wire_type == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d is not used by these messages" % wire_type)
        yield number, value


def read_varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def health(channel, service):
    # HealthCheckRequest {string service = 1}; HealthCheckResponse {ServingStatus status = 1}.
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    try:
        reply = check(string_field(1, service) if service else b"", timeout=TIMEOUT_S)
    except grpc.RpcError as error:
        return error.code().name  # NOT_FOUND for a service the server does not know
    status = dict(fields(reply)).get(1, 0)  # proto3: SERVING... 0 is left out
    return HEALTH_NAMES.get(status, str(status))


def reflect(channel, request):
    """One ServerReflectionInfo exchange; the response's fields."""
    info = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    replies = list(info(iter([request]), timeout=TIMEOUT_S))
    if len(replies) != 1:
        raise RuntimeError("reflection gave %d answers to one request" % len(replies))
    return list(fields(replies[0]))


def list_services(channel):
    # ServerReflectionRequest.list_services = 7; the response's
    # list_services_response = 6 holds ServiceResponse {name = 1} as field 1.
    services = []
    for number, value in reflect(channel, string_field(7, "")):
        if number == 6:
            for inner_number, service in fields(value):
                if inner_number == 1:
                    services.append(dict(fields(service))[1].decode())
        elif number == 7:
            raise RuntimeError("reflection error: %r" % value)
    return sorted(services)


def status_message_class(channel):
    """GetStatusResponse, built from the FileDescriptorProtos the broker
    serves over reflection (file_containing_symbol = 4; the answer's
    file_descriptor_response = 4 holds them as field 1)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    files = []
    for number, value in reflect(channel, string_field(4, "jobq.admin.Admin")):
        if number == 4:
            files += [descriptor_pb2.FileDescriptorProto.FromString(raw)
                      for number2, raw in fields(value) if number2 == 1]
        elif number == 7:
            raise RuntimeError("reflection error: %r" % value)
    pool = descriptor_pool.DescriptorPool()
    added = set()
    # Dependencies first: a file can only be added after the ones it imports.
    while len(added) < len(files):
        progress = False
        for proto in files:
            if proto.name not in added and all(dep in added for dep in proto.dependency):
                pool.Add(proto)
                added.add(proto.name)
                progress = True
        if not progress:
            missing = {dep for proto in files for dep in proto.dependency} - added
            raise RuntimeError("reflection left out imported files: %s" % sorted(missing))
    descriptor = pool.FindMessageTypeByName("jobq.admin.GetStatusResponse")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    channel = grpc.insecure_channel(argv[1])
    grpc.channel_ready_future(channel).result(timeout=TIMEOUT_S)
    if len(argv) > 2:
        if argv[2] != "health":
            print(__doc__, file=sys.stderr)
            return 2
        print(json.dumps({"health": {service: health(channel, service) for service in argv[3:]}}))
        return 0

    result = {"health": {service: health(channel, service)
                         for service in ("", "jobq.admin.Admin", "no.such.Service")}}
    result["services"] = list_services(channel)
    get_status = channel.unary_unary("/jobq.admin.Admin/GetStatus")
    reply = get_status(b"", timeout=TIMEOUT_S)  # GetStatusRequest has no fields
    if not reply:
        raise RuntimeError("GetStatus answered with an empty message")
    from google.protobuf import json_format

    message = status_message_class(channel).FromString(reply)
    result["status"] = json.loads(json_format.MessageToJson(
        message, preserving_proto_field_name=True))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as error:  # one line on stderr for the test's failure message
        print("grpc_client_check: %s: %s" % (type(error).__name__, error), file=sys.stderr)
        sys.exit(1)
