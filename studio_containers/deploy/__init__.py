"""Deploying with Terraform: toolchain, stack working folder, runner, ownership, domain, tasks' logic."""
