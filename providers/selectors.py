from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from concerns.models import Concern

from .models import Provider


def search(q: str):
    open_per_provider = (Concern.objects.open().filter(provider=OuterRef("pk")).order_by()
                         .values("provider").annotate(n=Count("pk")).values("n"))
    qs = Provider.objects.annotate(
        open_concerns=Coalesce(Subquery(open_per_provider, output_field=IntegerField()), Value(0))
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(town__icontains=q) | Q(cqc_location_id__iexact=q)
            | Q(cqc_location_id__icontains=q) | Q(postcode__icontains=q) | Q(address__icontains=q)
        )
    return qs.order_by("name")
