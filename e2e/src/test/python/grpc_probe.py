"""A non-Java gRPC client (Debian's python3-grpcio) driving the Ferry client sidecar.

Messages are raw protobuf bytes of ferry.test.Msg, written by hand, so no generated code is needed:
text is field 1 (tag 0x0a), count field 3 (0x18), status field 4 (0x20), status_message field 5 (0x2a).
Usage: python3 grpc_probe.py PORT. Exits 0 and prints "ok" when every check passed.
"""
import sys

import grpc


def msg(text=b"", count=0, status=0, status_message=b""):
    out = b""
    if text:
        out += b"\x0a" + bytes([len(text)]) + text
    if count:
        out += b"\x18" + bytes([count])
    if status:
        out += b"\x20" + bytes([status])
    if status_message:
        out += b"\x2a" + bytes([len(status_message)]) + status_message
    return out


def main(port):
    channel = grpc.insecure_channel("127.0.0.1:%s" % port)
    unary = channel.unary_unary("/ferry.test.TestService/Unary")
    reply, call = unary.with_call(msg(b"python"), timeout=20, metadata=(("x-team", "py"),))
    assert reply == msg(b"echo:python"), reply
    headers = dict(call.initial_metadata())
    assert headers.get("echo-x-team") == "py", headers

    stream = channel.unary_stream("/ferry.test.TestService/ServerStream")
    replies = list(stream(msg(b"s", count=3), timeout=20))
    assert replies == [msg(b"s-0"), msg(b"s-1"), msg(b"s-2")], replies

    try:
        unary(msg(b"x", status=5, status_message=b"gone"), timeout=20)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error.code()
        assert error.details() == "gone", error.details()
    else:
        raise AssertionError("expected NOT_FOUND")
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
