"""IAM as the local cloud serves it: moto's IAM with the AWS managed policies loaded fast."""
