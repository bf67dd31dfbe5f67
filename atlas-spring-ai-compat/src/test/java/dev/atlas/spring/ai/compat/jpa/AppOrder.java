package dev.atlas.spring.ai.compat.jpa;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** The one entity of {@link dev.atlas.spring.ai.compat.Boot4HibernateTest}'s application. */
@Entity
public class AppOrder {
    @Id
    private Long id;

    private String item;

    protected AppOrder() {
    }

    public AppOrder(Long id, String item) {
        this.id = id;
        this.item = item;
    }

    public Long getId() {
        return id;
    }

    public String getItem() {
        return item;
    }
}
