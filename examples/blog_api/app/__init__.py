"""Blog API application package."""
