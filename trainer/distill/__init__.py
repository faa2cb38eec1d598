"""Knowledge distillation of a FOMM teacher into a cheaper student (`fomm distill`, issue 15).

    python3 -m trainer.distill --teacher-config C.yaml --teacher K.pth.tar --student-config S.yaml \\
        --data DIR --run-dir R [--student-kind hybrid|full] [--avatars IMG_OR_DIR ...] [--max-steps N]

The student learns to reproduce the teacher in the live setting (relative motion against the first
frame of a driving video, an avatar as source) from the teacher's outputs, computed once into a cache
in the run folder (`teacher_cache`). The run folder follows `fomm train`'s conventions (trainer.run_folder)
and its checkpoints load like any other; the run ends with an evaluation on held-out videos
(`evaluate`) and a MODEL_CARD.md.
"""
