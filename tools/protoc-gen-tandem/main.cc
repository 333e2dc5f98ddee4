// protoc-gen-tandem: run by protoc as --plugin=protoc-gen-tandem=... with --tandem_out=DIR.
#include "google/protobuf/compiler/plugin.h"
#include "tools/protoc-gen-tandem/generator.h"

int main(int argc, char* argv[]) {
  tandem::codegen::TandemGenerator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
