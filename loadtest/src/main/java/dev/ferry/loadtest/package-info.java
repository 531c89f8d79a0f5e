/**
 * The {@code ferry-loadtest} command line: tools that stand on either side of Ferry for its demo,
 * end-to-end tests and benchmarks, one subcommand per package ({@code echo} so far).
 *
 * <p>Start reading at {@link dev.ferry.loadtest.LoadtestMain}.
 */
package dev.ferry.loadtest;
