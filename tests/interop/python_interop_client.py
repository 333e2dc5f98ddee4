"""Runs gRPC's interop client cases against a server, with Python's grpcio as the client.

    python_interop_client.py GENERATED_DIR HOST:PORT [CASE...]

GENERATED_DIR holds grpc/testing/{empty,messages,test}_pb2.py and test_pb2_grpc.py, generated
by protoc (--python_out, --grpc_python_out) from grpc-proto's grpc/testing/*.proto. CASE names
the cases to run (all of them by default). The cases and their numbers follow gRPC's
doc/interop-test-descriptions.md.

Prints "PASS name: detail" or "FAIL name: detail" per case, then "N passed, M failed"; exits 1
when a case fails, 2 when the client cannot start.
"""

import os
import queue
import sys
import time
import traceback

import grpc

# Every RPC gets a deadline, so a stuck server fails a case instead of hanging the test.
RPC_TIMEOUT_SECONDS = 10


def import_generated(generated_dir):
    """Imports the generated modules, whose package is grpc.testing.

    The protos' own paths make protoc write package grpc.testing, inside grpcio's regular
    package `grpc`, which has no `testing`: extending grpc's package path lets Python find the
    generated grpc/testing directory (a namespace package) under it.
    """
    grpc.__path__.append(os.path.join(os.path.abspath(generated_dir), "grpc"))
    from grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc  # pylint: disable=import-outside-toplevel

    return empty_pb2, messages_pb2, test_pb2_grpc


class CaseFailure(Exception):
    """A client assertion of an interop case did not hold."""


def check(condition, message, *args):
    if not condition:
        raise CaseFailure(message % args if args else message)


def describe(error):
    if isinstance(error, grpc.RpcError) and hasattr(error, "code"):
        return "RPC failed: %s: %r" % (error.code(), error.details())
    return "%s: %s" % (type(error).__name__, error)


class Pipe:
    """A request iterator fed by the test: lets a case send after it has read a reply.

    Ends (half-closes) on close() or when nothing comes within RPC_TIMEOUT_SECONDS, so grpcio's
    request-consuming thread never waits forever.
    """

    _CLOSE = object()

    def __init__(self):
        self._queue = queue.Queue()

    def add(self, request):
        self._queue.put(request)

    def close(self):
        self._queue.put(self._CLOSE)

    def __iter__(self):
        while True:
            try:
                request = self._queue.get(timeout=RPC_TIMEOUT_SECONDS)
            except queue.Empty:
                return
            if request is self._CLOSE:
                return
            yield request

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class InteropCases:
    """The client side of the interop cases. Each returns a detail line or raises."""

    CLIENT_STREAMING_SIZES = (27182, 8, 1828, 45904)
    SERVER_STREAMING_SIZES = (31415, 9, 2653, 58979)
    ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
    ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\x0a\x0b\x0a\x0b\x0a\x0b")

    def __init__(self, channel, empty_pb2, messages_pb2, test_pb2_grpc):
        self.empty_pb2 = empty_pb2
        self.messages = messages_pb2
        self.stub = test_pb2_grpc.TestServiceStub(channel)
        self.unimplemented_stub = test_pb2_grpc.UnimplementedServiceStub(channel)

    # Helpers.

    def payload(self, size):
        return self.messages.Payload(body=b"\0" * size)

    def streaming_output_request(self, response_sizes, payload_size=None, status=None):
        request = self.messages.StreamingOutputCallRequest(
            response_parameters=[self.messages.ResponseParameters(size=size)
                                 for size in response_sizes])
        if payload_size is not None:
            request.payload.CopyFrom(self.payload(payload_size))
        if status is not None:
            request.response_status.CopyFrom(
                self.messages.EchoStatus(code=status[0], message=status[1]))
        return request

    def check_payload(self, payload, size, what):
        check(len(payload.body) == size, "%s: payload of %d bytes, want %d",
              what, len(payload.body), size)
        check(payload.body == b"\0" * size, "%s: payload is not all zeros", what)

    def check_streamed(self, responses, sizes, what):
        got = [len(response.payload.body) for response in responses]
        check(got == list(sizes), "%s: response sizes %s, want %s", what, got, list(sizes))
        for index, response in enumerate(responses):
            self.check_payload(response.payload, sizes[index], "%s response %d" % (what, index))

    def expect_error(self, call, code, what, message=None):
        """Runs call(), which must fail with `code` (and `message`, when given)."""
        try:
            result = call()
        except grpc.RpcError as error:
            check(error.code() == code, "%s: status %s (%r), want %s",
                  what, error.code(), error.details(), code)
            if message is not None:
                check(error.details() == message, "%s: status message %r, want %r",
                      what, error.details(), message)
            return error
        raise CaseFailure("%s: succeeded (%r), want %s" % (what, result, code))

    def check_echoed_metadata(self, call, what):
        initial = list(call.initial_metadata() or ())
        trailing = list(call.trailing_metadata() or ())
        check(self.ECHO_INITIAL in initial, "%s: initial metadata %r lacks %r",
              what, initial, self.ECHO_INITIAL)
        check(self.ECHO_TRAILING in trailing, "%s: trailing metadata %r lacks %r",
              what, trailing, self.ECHO_TRAILING)

    # The cases.

    def empty_unary(self):
        response = self.stub.EmptyCall(self.empty_pb2.Empty(), timeout=RPC_TIMEOUT_SECONDS)
        check(isinstance(response, self.empty_pb2.Empty), "response %r is not an Empty", response)
        check(response.ByteSize() == 0, "response serializes to %d bytes", response.ByteSize())
        return "EmptyCall answered an empty Empty"

    def large_unary(self):
        request = self.messages.SimpleRequest(response_size=314159, payload=self.payload(271828))
        response = self.stub.UnaryCall(request, timeout=RPC_TIMEOUT_SECONDS)
        self.check_payload(response.payload, 314159, "UnaryCall")
        return "271828 zero bytes sent, 314159 received"

    def client_streaming(self):
        requests = [self.messages.StreamingInputCallRequest(payload=self.payload(size))
                    for size in self.CLIENT_STREAMING_SIZES]
        response = self.stub.StreamingInputCall(iter(requests), timeout=RPC_TIMEOUT_SECONDS)
        check(response.aggregated_payload_size == 74922, "aggregated_payload_size %d, want 74922",
              response.aggregated_payload_size)
        return "aggregated_payload_size 74922"

    def server_streaming(self):
        request = self.streaming_output_request(self.SERVER_STREAMING_SIZES)
        call = self.stub.StreamingOutputCall(request, timeout=RPC_TIMEOUT_SECONDS)
        responses = list(call)
        self.check_streamed(responses, self.SERVER_STREAMING_SIZES, "StreamingOutputCall")
        check(call.code() == grpc.StatusCode.OK, "status %s, want OK", call.code())
        return "responses of %s bytes" % list(self.SERVER_STREAMING_SIZES)

    def ping_pong(self):
        responses = []
        with Pipe() as pipe:
            call = self.stub.FullDuplexCall(iter(pipe), timeout=RPC_TIMEOUT_SECONDS)
            for response_size, payload_size in zip(self.SERVER_STREAMING_SIZES,
                                                   self.CLIENT_STREAMING_SIZES):
                pipe.add(self.streaming_output_request([response_size], payload_size))
                try:
                    responses.append(next(call))
                except StopIteration:
                    raise CaseFailure("the stream ended after %d responses" % len(responses))
            pipe.close()
            rest = list(call)
        check(not rest, "%d responses after the half-close, want none", len(rest))
        self.check_streamed(responses, self.SERVER_STREAMING_SIZES, "FullDuplexCall")
        check(call.code() == grpc.StatusCode.OK, "status %s, want OK", call.code())
        return "4 requests, each answered before the next: %s bytes" % list(
            self.SERVER_STREAMING_SIZES)

    def empty_stream(self):
        call = self.stub.FullDuplexCall(iter(()), timeout=RPC_TIMEOUT_SECONDS)
        responses = list(call)
        check(not responses, "%d responses, want none", len(responses))
        check(call.code() == grpc.StatusCode.OK, "status %s, want OK", call.code())
        return "no requests, no responses, OK"

    def cancel_after_begin(self):
        with Pipe() as pipe:
            future = self.stub.StreamingInputCall.future(iter(pipe), timeout=RPC_TIMEOUT_SECONDS)
            # Let the call reach the server (headers sent, no message) before cancelling it.
            time.sleep(0.2)
            if future.done():
                raise CaseFailure("the call finished before the cancel: %s %r"
                                  % (future.code(), future.details()))
            check(future.cancel(), "cancel() did not cancel the call")
            check(future.cancelled(), "the future is not cancelled")
            check(future.code() == grpc.StatusCode.CANCELLED, "status %s, want CANCELLED",
                  future.code())
        return "StreamingInputCall cancelled with no message sent: CANCELLED"

    def cancel_after_first_response(self):
        with Pipe() as pipe:
            call = self.stub.FullDuplexCall(iter(pipe), timeout=RPC_TIMEOUT_SECONDS)
            pipe.add(self.streaming_output_request([31415], 27182))
            response = next(call)
            self.check_payload(response.payload, 31415, "first response")
            call.cancel()
            self.expect_error(lambda: next(call), grpc.StatusCode.CANCELLED, "after cancel()")
        check(call.code() == grpc.StatusCode.CANCELLED, "status %s, want CANCELLED", call.code())
        return "FullDuplexCall cancelled after its first response: CANCELLED"

    def timeout_on_sleeping_server(self):
        with Pipe() as pipe:
            call = self.stub.FullDuplexCall(iter(pipe), timeout=0.001)
            pipe.add(self.streaming_output_request([], 27182))
            self.expect_error(lambda: next(call), grpc.StatusCode.DEADLINE_EXCEEDED,
                              "FullDuplexCall with a 1 ms deadline")
        return "1 ms deadline: DEADLINE_EXCEEDED"

    def custom_metadata(self):
        metadata = (self.ECHO_INITIAL, self.ECHO_TRAILING)

        request = self.messages.SimpleRequest(response_size=314159, payload=self.payload(271828))
        response, call = self.stub.UnaryCall.with_call(request, metadata=metadata,
                                                       timeout=RPC_TIMEOUT_SECONDS)
        self.check_payload(response.payload, 314159, "UnaryCall")
        self.check_echoed_metadata(call, "UnaryCall")

        request = self.streaming_output_request([314159], 271828)
        call = self.stub.FullDuplexCall(iter([request]), metadata=metadata,
                                        timeout=RPC_TIMEOUT_SECONDS)
        responses = list(call)
        self.check_streamed(responses, [314159], "FullDuplexCall")
        check(call.code() == grpc.StatusCode.OK, "FullDuplexCall: status %s, want OK",
              call.code())
        self.check_echoed_metadata(call, "FullDuplexCall")
        return "initial and -bin trailing metadata echoed on UnaryCall and FullDuplexCall"

    def status_code_and_message(self):
        code, message = 2, "test status message"
        status = self.messages.EchoStatus(code=code, message=message)
        self.expect_error(
            lambda: self.stub.UnaryCall(self.messages.SimpleRequest(response_status=status),
                                        timeout=RPC_TIMEOUT_SECONDS),
            grpc.StatusCode.UNKNOWN, "UnaryCall", message)

        request = self.streaming_output_request([], status=(code, message))
        call = self.stub.FullDuplexCall(iter([request]), timeout=RPC_TIMEOUT_SECONDS)
        self.expect_error(lambda: list(call), grpc.StatusCode.UNKNOWN, "FullDuplexCall", message)
        return "UNKNOWN (2) %r on UnaryCall and FullDuplexCall" % message

    def special_status_message(self):
        message = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
        status = self.messages.EchoStatus(code=2, message=message)
        self.expect_error(
            lambda: self.stub.UnaryCall(self.messages.SimpleRequest(response_status=status),
                                        timeout=RPC_TIMEOUT_SECONDS),
            grpc.StatusCode.UNKNOWN, "UnaryCall", message)
        return "UNKNOWN (2) with %r intact" % message

    def unimplemented_method(self):
        self.expect_error(
            lambda: self.stub.UnimplementedCall(self.empty_pb2.Empty(),
                                                timeout=RPC_TIMEOUT_SECONDS),
            grpc.StatusCode.UNIMPLEMENTED, "TestService/UnimplementedCall")
        return "grpc.testing.TestService/UnimplementedCall: UNIMPLEMENTED"

    def unimplemented_service(self):
        self.expect_error(
            lambda: self.unimplemented_stub.UnimplementedCall(self.empty_pb2.Empty(),
                                                              timeout=RPC_TIMEOUT_SECONDS),
            grpc.StatusCode.UNIMPLEMENTED, "UnimplementedService/UnimplementedCall")
        return "grpc.testing.UnimplementedService/UnimplementedCall: UNIMPLEMENTED"


CASES = (
    "empty_unary",
    "large_unary",
    "client_streaming",
    "server_streaming",
    "ping_pong",
    "empty_stream",
    "cancel_after_begin",
    "cancel_after_first_response",
    "timeout_on_sleeping_server",
    "custom_metadata",
    "status_code_and_message",
    "special_status_message",
    "unimplemented_method",
    "unimplemented_service",
)


def main(argv):
    if len(argv) < 3 or any(case not in CASES for case in argv[3:]):
        print(__doc__ + "\nCases: " + " ".join(CASES), file=sys.stderr)
        return 2
    generated_dir, address, selected = argv[1], argv[2], argv[3:] or list(CASES)
    modules = import_generated(generated_dir)

    with grpc.insecure_channel(address) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=RPC_TIMEOUT_SECONDS)
        except grpc.FutureTimeoutError:
            print("FAIL: no connection to %s within %ds" % (address, RPC_TIMEOUT_SECONDS))
            return 2
        cases = InteropCases(channel, *modules)
        passed, failed = 0, 0
        for name in selected:
            try:
                detail = getattr(cases, name)()
            except CaseFailure as failure:
                print("FAIL %s: %s" % (name, failure), flush=True)
                failed += 1
            except Exception as error:  # pylint: disable=broad-except
                print("FAIL %s: %s" % (name, describe(error)), flush=True)
                if not isinstance(error, grpc.RpcError):
                    traceback.print_exc()
                failed += 1
            else:
                print("PASS %s: %s" % (name, detail), flush=True)
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
