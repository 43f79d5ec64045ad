"""YARN: the ResourceManager, NodeManagers, applications, containers and scheduler policies."""
