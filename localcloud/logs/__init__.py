"""CloudWatch Logs as the local cloud's containers write to it (``awslogs``)."""
