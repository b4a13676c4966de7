public enum OrchestratorModule {}
