public enum ComposeModelModule {}
