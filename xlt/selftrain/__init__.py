"""Cross-lingual self-training (paper Section 3.2 and 5.3), one module per part; all pure functions of arrays,
label lists and names (models, training and files live in :mod:`xlt.train`, :mod:`xlt.models` and the
workflow scripts).

- :mod:`xlt.selftrain.schedule`: schedules (``SHS``) and their steps;
- :mod:`xlt.selftrain.chains`: the models a variant trains, named by their chain of steps;
- :mod:`xlt.selftrain.voters`: the Voters Module's decision (Eq. 4) and a teacher's soft labels (Eq. 1);
- :mod:`xlt.selftrain.threshold`: threshold curves and the automatic alpha (Eq. 3, Figure 2);
- :mod:`xlt.selftrain.pseudo`: the source consistency filter and the target pseudo labels;
- :mod:`xlt.selftrain.health`: what each step did, measured, and the guards that say when it went wrong.

The Voters Module's network is :mod:`xlt.models.heads`; the losses of Eq. 1 and 2 are there too.
"""
