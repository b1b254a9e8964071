"""Tags of SageMaker resources, kept as AWS keeps them: a key given again takes its new value,
and a resource holds at most 50. Used by AddTags on moto's resources (backend.py) and on ours
(apps/responses.py). What a request may hold is checked before, at the front door
(server/constraints.py): the model's limits (50 tags, keys' and values' lengths and
characters) and the `aws:` prefix every AWS service keeps for itself."""
from moto.sagemaker.exceptions import ValidationError

MAX_TAGS = 50


def merge_tags(resource, arn: str, tags: list[dict]) -> list[dict]:
    """The resource's tags with `tags` added; refused, changing nothing, past the limit."""
    keys = {t["Key"] for t in tags}
    merged = [t for t in resource.tags or [] if t["Key"] not in keys] + list(tags)
    if len(merged) > MAX_TAGS:
        raise ValidationError(f"Resource {arn} would have {len(merged)} tags; a resource can "
                              f"have at most {MAX_TAGS}.")
    resource.tags = merged
    return merged


def remove_tags(resource, keys: list[str]) -> None:
    resource.tags = [t for t in resource.tags or [] if t["Key"] not in set(keys)]
