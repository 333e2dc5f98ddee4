// FormatMethodReport: a server's methods (Server::method_stats()) as a table for a terminal: how
// each method is written and where it runs, how its calls ended, and, where they apply, how a
// one-way method's handlers ended and how a shadowed method's candidate compares with it. This is
// where a migration stands; the examples print it at shutdown, and `tandem methods HOST:PORT`
// prints it for a running server (through the admin service, server/admin_service.h).
//
//   method                             style      executor     started  ok  errors
//   /tandem.examples.Greeter/SayHello  blocking   tandem-pool        3   2       1
//   /tandem.examples.Greeter/Shout     callback   inline             2   2       0
//
// One header row, one row per method in the order given. Each column is as wide as its widest
// cell; text is left-aligned, counts right-aligned, columns two spaces apart, no trailing spaces.
// The one-way columns (handlers that ended ok / failed) appear only if some method is one-way,
// the shadow columns (the candidate's style and executor, matches, mismatches, candidate errors,
// skipped) only if some method is shadowed; then a row above the header names the two groups,
// and a method a group does not apply to shows "-" there. Below the table come the mismatches
// each shadowed method kept (MethodStats::shadow_mismatch_samples), one per line.
//
// Threads: a pure function, callable from any thread.
#ifndef TANDEM_SERVER_METHOD_REPORT_H_
#define TANDEM_SERVER_METHOD_REPORT_H_

#include <string>
#include <vector>

#include "server/service.h"

namespace tandem {

// The table above; every line ends with '\n'. No methods: the header alone.
std::string FormatMethodReport(const std::vector<MethodStats>& methods);

}  // namespace tandem

#endif  // TANDEM_SERVER_METHOD_REPORT_H_
