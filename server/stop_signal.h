// Stop signals for server programs: serve until SIGINT or SIGTERM, then shut down gracefully.
//
//   int main() {
//     tandem::BlockStopSignals();   // first, before any thread starts
//     ... build and start the server ...
//     tandem::WaitForStopSignal();  // returns the signal that came
//     server->Shutdown(absl::Seconds(5));
//   }
//
// Threads: BlockStopSignals must run on the main thread before any other thread exists, so every
// thread inherits the mask and the signal is left for WaitForStopSignal; WaitForStopSignal blocks
// the calling thread.
#ifndef TANDEM_SERVER_STOP_SIGNAL_H_
#define TANDEM_SERVER_STOP_SIGNAL_H_

namespace tandem {

void BlockStopSignals();
int WaitForStopSignal();

}  // namespace tandem

#endif  // TANDEM_SERVER_STOP_SIGNAL_H_
