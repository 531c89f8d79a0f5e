/**
 * The {@code ferry-loadtest} command line: tools that stand on either side of Ferry for its demo,
 * end-to-end tests and benchmarks, one subcommand per package ({@code echo}, {@code raw-rpc}, and
 * {@code soak}, the randomized fault soak; {@code fault} holds the fault proxy it and the tests
 * use). {@code load} is the generator ({@code http}, {@code grpc}); {@code bench} runs the standard
 * comparison with it.
 *
 * <p>Start reading at {@link dev.ferry.loadtest.LoadtestMain}.
 */
package dev.ferry.loadtest;
