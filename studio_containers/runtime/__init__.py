"""A KernelGateway app as Studio runs it: our gateway runtime mounted into the user's image.

Both the validation (which starts each kernel) and `invoke local` run images through here.
"""
