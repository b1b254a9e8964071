"""Deploying with Terraform: up, down, status and rollback, and the parts they share.

contract: what Python knows about terraform/; deployment: a target opened under its lock;
targets, toolchain, stack, runner: where to, with which Terraform, in which folder, how run;
push, ownership, domain, record: ECR pushes, adopting what is ours, the domain, what was deployed.
"""
