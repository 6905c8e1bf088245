"""Model code: encoder sources (providers), classification heads and the Voters Module, the classifier."""
