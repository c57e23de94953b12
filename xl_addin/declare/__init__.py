"""The declarations' loaders: table specs, rules, the cluster list, the issue catalogue, list specs."""
