"""Training jobs run out of process: the worker loop that claims jobs from the store with a
lease and trains them, and the executor that keeps worker processes running. Sits above
`train` (how to train one model) and `store` (the queue), below `service`."""
