"""Calls the greeter example server with Python's standard gRPC client.

    greeter_python_client.py HOST:PORT

Needs greeter_pb2 (protoc --python_out from examples/greeter/greeter.proto) on PYTHONPATH.
Exits 0 when every answer is the one the C++ client gets.
"""

import sys

import grpc

from examples.greeter import greeter_pb2

# Every RPC gets a deadline, so a stuck server fails the test instead of hanging it.
RPC_TIMEOUT_SECONDS = 10


def main(address):
    with grpc.insecure_channel(address) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=RPC_TIMEOUT_SECONDS)
        except grpc.FutureTimeoutError:
            print("FAIL: no connection to %s within %ds" % (address, RPC_TIMEOUT_SECONDS),
                  file=sys.stderr)
            return 1

        def method(name):
            return channel.unary_unary(
                "/tandem.examples.Greeter/" + name,
                request_serializer=greeter_pb2.HelloRequest.SerializeToString,
                response_deserializer=greeter_pb2.HelloReply.FromString,
            )

        failures = []
        request = greeter_pb2.HelloRequest(name="Tandem")
        for name, want in [
            ("SayHello", "Hello, Tandem!"),  # blocking handler
            ("Shout", "TANDEM!"),  # callback handler
            ("Greet", "Hello, Tandem! TANDEM!"),  # coroutine handler
        ]:
            try:
                got = method(name)(request, timeout=RPC_TIMEOUT_SECONDS).message
            except grpc.RpcError as error:
                got = "error %s: %s" % (error.code(), error.details())
            print("%-8s -> %s" % (name, got))
            if got != want:
                failures.append("%s: got %r, want %r" % (name, got, want))

        try:
            reply = method("SayHello")(greeter_pb2.HelloRequest(), timeout=RPC_TIMEOUT_SECONDS)
            failures.append("SayHello with no name: got reply %r, want INVALID_ARGUMENT"
                            % reply.message)
        except grpc.RpcError as error:
            print("SayHello with no name -> %s: %s" % (error.code(), error.details()))
            if error.code() != grpc.StatusCode.INVALID_ARGUMENT:
                failures.append("SayHello with no name: got %s, want INVALID_ARGUMENT"
                                % error.code())

    for failure in failures:
        print("FAIL: " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
