package dev.ferry.client;

/** Streams that do nothing: a call that ended before it began. */
final class FerryStreams {
  static final FerryStream CLOSED =
      new FerryStream() {
        @Override
        public void start() {}

        @Override
        public void sendMessage(byte[] message) {}

        @Override
        public void halfClose() {}

        @Override
        public void flush() {}

        @Override
        public void request(int count) {}

        @Override
        public boolean isReady() {
          return false;
        }

        @Override
        public void cancel(String reason) {}
      };

  private FerryStreams() {}
}
